"""The monthly bulletin (通报): figures, summary, chart, Word and Excel."""
