"""Where finished outputs go beyond the local folder: Delta Lake tables on a local path or in object storage."""
