"""The run report: what a run removed, merged and rejected, as HTML, Markdown and plots."""
