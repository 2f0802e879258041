"""The operators, one module per family; importing a module attaches its Tensor methods."""
