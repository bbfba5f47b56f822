"""Back office: operators (行員) with roles and four-eyes approval of sensitive actions (OPS-1)."""
