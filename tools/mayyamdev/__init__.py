"""Development tooling around the product: cluster handles, registration, the demo."""
