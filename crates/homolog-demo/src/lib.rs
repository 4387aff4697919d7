//! Seeded synthetic protein families, GO annotations and ontology for the demo.
