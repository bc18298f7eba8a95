"""Edition writers: each turns the rendered book into one output format."""
