//! homolog's YAML configuration: schema, defaults, env/flag overrides and validation.
