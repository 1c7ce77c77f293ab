"""The distribution: no runtime dependencies, the layer rule."""
