"""The HTML stage: chrome elements removed by intent, trafilatura and the line model fused."""
