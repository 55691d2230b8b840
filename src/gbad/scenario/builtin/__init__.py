"""Built-in scenarios shipped inside the package."""
