"""The logic: each service validates, checks permissions and owns its unit of work."""
