"""HTML blueprints: parse the request, call a service, render."""
