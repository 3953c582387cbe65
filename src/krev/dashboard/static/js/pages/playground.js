// built by its helper
