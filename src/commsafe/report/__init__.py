"""The assessment document: assembled from measures, written as HTML, PDF and Word."""
