"""Sign stage: manifests of bundle files and their signatures."""
