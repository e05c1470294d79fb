"""Domain definitions as libvirt XML: safe lossless parsing, schema validation, structured edits, diffs."""
