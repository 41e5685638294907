"""HTTP handlers, one module per concern; `node.routes` wires them to paths."""
