"""The run folder's safe file layer: paths and atomic writes, safe reads, arrays, schema checks, lineage guard,
liveness, tables, pictures and exports."""
