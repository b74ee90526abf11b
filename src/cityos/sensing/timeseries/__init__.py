"""Time-series storage: rollups kept as data arrives, retention, and reads at any zoom."""
