"""The survey engine: definitions shipped as YAML, checked, versioned."""
