"""Pure figure builders (plotly), the server-drawn live raster, the 2D view's range and the model overview graph."""
