#!/usr/bin/env python3
"""Builds the PIS-schema fixture databases the `homolog-pis` tests import from.

FANTASIA keeps its reference in a PIS database (CBBIO/protein-information-system): proteins,
sequences, accessions, GO terms and annotations with evidence codes, embedding types, and one
pgvector embedding per (sequence, embedding type, layer). This script makes two such databases
on a PostgreSQL with pgvector (scripts/services.d/53-pgvector.sh starts one and runs this):

  pis_fixture         the current layout: PIS 3.1.2's own SQLAlchemy models create the tables
                      (`Base.metadata.create_all`), embeddings are `halfvec` with `layer_index`
  pis_fixture_legacy  the layout before PIS's "FP16 supporting" change (March 2025): the same
                      tables except `sequence_embeddings`, which has no `layer_index` and stores
                      `vector` (float4); the older FANTASIA references were dumped like this

Content (real public data from the shared data folder, $HOMOLOG_DATA or --data):
  - the 226 proteins of proteins/swissprot2014_go_subset/swissprot2014_5000.fasta.gz that have
    annotations in proteins/goa_human_2019-01-14.gaf.gz: their Swiss-Prot sequences, the GAF's
    GO terms with their real evidence codes (NOT-qualified rows skipped; one code per (protein,
    GO term), the first in file order, as PIS keeps one), gene symbol and taxon 9606 from the GAF;
  - 100 yeast proteins of proteins/yeast_UP000002311_2025-10-19.fasta.gz (the first 20 groups of
    proteins sharing one sequence, then others in SHA-256 order of the accession) with their
    annotations from proteins/yeast_UP000002311_go2014.tsv.gz, which has no evidence codes: they
    are stored as 'UNKNOWN', PIS's own value for a GO reference without one; organism, gene and
    taxon 559292 from the UniProt header;
  - the 33 E. coli proteins of proteins/fantasia_test_ecoli33.fa (FANTASIA's test input), taxon
    83333, without annotations (in PIS every protein is embedded, annotated or not).
  - protein.id is the UniProt entry name (YEAST/ECOLI), as PIS stores it, and `accession` links
    the primary accession to it; the human proteins have no entry name in these sources, so
    their protein.id is the accession itself.
  - go_terms: category (P/F/C) as in the annotation source, description = the term's name in
    go/go_2019-01-29.obo.gz (NULL when the id is not there).
  - sequence_embedding_type: PIS's five types from its constants.yaml, in its order (ids 1-5:
    ESM, Prost-T5, Prot-T5, Ankh3-Large, ESM3c), as PIS inserts them.
  - embeddings: no protein language model runs here, so the vectors are deterministic stand-ins
    computed from each sequence (k-mer composition hashed into the model's dimension), stored
    under the real type ids: Prot-T5 (3) layers 0 and 1 (1024-d) and ESM (1) layer 0 (1280-d).
    The legacy database has Prot-T5 and ESM at one layer each (its layer 0 vectors). One human
    sequence (the first in accession order) has no ESM vector, as in a PIS whose embedding
    run has not covered everything.

A database whose comment matches this script's content and inputs is left alone; otherwise it
is rebuilt under a temporary name and renamed into place. Run with --force to rebuild anyway.
"""

import argparse
import gzip
import hashlib
import os
import re
import sys
from pathlib import Path

FIXTURE = "pis_fixture"
LEGACY = "pis_fixture_legacy"
MARKER_PREFIX = "homolog PIS fixture"
STANDIN_TYPES = [  # (PIS type id, layer, dim, k, multiplier)
    (3, 0, 1024, 3, 7919),
    (3, 1, 1024, 2, 104729),
    (1, 0, 1280, 3, 15485863),
]
YEAST_DUPLICATE_GROUPS = 20
YEAST_PROTEINS = 100


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def data_dir(arg) -> Path:
    if arg:
        return Path(arg)
    env = os.environ.get("HOMOLOG_DATA")
    return Path(env) if env else repo_root().parent / "shared" / "data"


def read_fasta(path: Path):
    """(header, sequence) pairs of a plain or gzip FASTA file."""
    opener = gzip.open if path.suffix == ".gz" else open
    out, header, parts = [], None, []
    with opener(path, "rt") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith(">"):
                if header is not None:
                    out.append((header, "".join(parts)))
                header, parts = line[1:], []
            elif line:
                parts.append(line.strip())
    if header is not None:
        out.append((header, "".join(parts)))
    return out


def uniprot_fields(header: str):
    """Accession, entry name, description, organism, taxon and gene of a UniProt header."""
    first, _, rest = header.partition(" ")
    _, acc, entry = first.split("|")
    desc = re.split(r" (?:OS|OX|GN|PE|SV)=", " " + rest)[0].strip()
    fields = dict(re.findall(r"(OS|OX|GN|PE|SV)=(.*?)(?= (?:OS|OX|GN|PE|SV)=|$)", rest))
    return acc, entry, desc, fields.get("OS"), fields.get("OX"), fields.get("GN")


def go_names(path: Path):
    """GO id (and alt id) -> name from an OBO file."""
    names, current, alts, name = {}, None, [], None
    with gzip.open(path, "rt") as f:
        for line in list(f) + ["[Term]\n"]:
            line = line.rstrip("\n")
            if line.startswith("["):
                if current and name:
                    for i in [current] + alts:
                        names.setdefault(i, name)
                current, alts, name = None, [], None
            elif line.startswith("id: "):
                current = line[4:]
            elif line.startswith("alt_id: "):
                alts.append(line[8:])
            elif line.startswith("name: "):
                name = line[6:]
    return names


def collect(data: Path):
    """Proteins (dicts), annotations (protein, go_id, evidence), GO categories."""
    proteins, annotations, categories = [], [], {}

    # Human: Swiss-Prot 2014 sequences with the 2019 GOA human GAF's annotations.
    sp = {h.split()[0]: s for h, s in read_fasta(
        data / "proteins/swissprot2014_go_subset/swissprot2014_5000.fasta.gz")}
    gaf, meta = {}, {}
    with gzip.open(data / "proteins/goa_human_2019-01-14.gaf.gz", "rt") as f:
        for line in f:
            if line.startswith("!"):
                continue
            c = line.rstrip("\n").split("\t")
            if c[0] != "UniProtKB" or c[1] not in sp or "NOT" in c[3].split("|"):
                continue
            per = gaf.setdefault(c[1], {})
            per.setdefault(c[4], c[6])  # the first evidence code of (protein, term)
            categories.setdefault(c[4], c[8])
            meta.setdefault(c[1], (c[2], c[9], c[12].split("|")[0].replace("taxon:", "")))
    for acc in sorted(gaf):
        gene, desc, taxon = meta[acc]
        proteins.append(dict(id=acc, accession=acc, sequence=sp[acc], gene_name=gene,
                             description=desc,
                             organism="Homo sapiens", taxonomy_id=taxon))
        annotations += [(acc, go, ev) for go, ev in gaf[acc].items()]

    # Yeast: 2025 proteome sequences with Metastudent's 2014 annotations (no evidence codes).
    yeast = read_fasta(data / "proteins/yeast_UP000002311_2025-10-19.fasta.gz")
    yann = {}
    with gzip.open(data / "proteins/yeast_UP000002311_go2014.tsv.gz", "rt") as f:
        next(f)
        for line in f:
            acc, go, aspect = line.rstrip("\n").split("\t")
            yann.setdefault(acc, {}).setdefault(go, "UNKNOWN")
            categories.setdefault(go, aspect)
    by_seq = {}
    for h, s in yeast:
        by_seq.setdefault(s, []).append(h)
    chosen = []
    groups = [g for g in by_seq.values() if len(g) > 1 and all(
        uniprot_fields(h)[0] in yann for h in g)]
    for g in groups[:YEAST_DUPLICATE_GROUPS]:
        chosen += g
    seen = {uniprot_fields(h)[0] for h in chosen}
    rest = sorted((h for h, _ in yeast if uniprot_fields(h)[0] in yann
                   and uniprot_fields(h)[0] not in seen),
                  key=lambda h: hashlib.sha256(uniprot_fields(h)[0].encode()).hexdigest())
    chosen += rest[:YEAST_PROTEINS - len(chosen)]
    seq_of = dict(yeast)
    for h in chosen:
        acc, entry, desc, org, taxon, gene = uniprot_fields(h)
        proteins.append(dict(id=entry, accession=acc, sequence=seq_of[h], gene_name=gene,
                             description=desc, organism=org, taxonomy_id=taxon))
        annotations += [(entry, go, ev) for go, ev in yann[acc].items()]

    # E. coli: FANTASIA's test proteins, no annotations.
    for h, s in read_fasta(data / "proteins/fantasia_test_ecoli33.fa"):
        acc, entry, desc, org, taxon, gene = uniprot_fields(h)
        proteins.append(dict(id=entry, accession=acc, sequence=s, gene_name=gene,
                             description=desc, organism=org, taxonomy_id=taxon))
    return proteins, annotations, categories


def standin(sequence: str, dim: int, k: int, mult: int):
    """A deterministic stand-in embedding: k-mer counts hashed into `dim` buckets, divided by
    the number of k-mers, then square-rooted (float32)."""
    import numpy as np

    v = np.zeros(dim, dtype=np.float64)
    n = max(len(sequence) - k + 1, 1)
    for i in range(len(sequence) - k + 1):
        code = 0
        for ch in sequence[i:i + k]:
            code = code * 31 + (ord(ch) - 64)
        v[(code * mult) % dim] += 1.0
    return np.sqrt(v / n).astype(np.float32)


def fingerprint(data: Path) -> str:
    h = hashlib.sha256(Path(__file__).read_bytes())
    for rel in ("proteins/swissprot2014_go_subset/swissprot2014_5000.fasta.gz",
                "proteins/goa_human_2019-01-14.gaf.gz",
                "proteins/yeast_UP000002311_2025-10-19.fasta.gz",
                "proteins/yeast_UP000002311_go2014.tsv.gz",
                "proteins/fantasia_test_ecoli33.fa", "go/go_2019-01-29.obo.gz"):
        h.update(f"{rel}:{(data / rel).stat().st_size}".encode())
    return f"{MARKER_PREFIX} {h.hexdigest()[:16]}"


def pis_metadata(models_prefix: Path):
    """PIS 3.1.2's tables (every entity module imported, so foreign keys resolve) and its
    embedding type constants."""
    sys.path.insert(0, str(models_prefix))
    import importlib
    import pkgutil

    import yaml

    import protein_information_system.sql.model.entities as entities
    from protein_information_system.sql.model.core.base import Base

    for mod in pkgutil.walk_packages(entities.__path__, entities.__name__ + "."):
        importlib.import_module(mod.name)
    constants = models_prefix / "protein_information_system/config/constants.yaml"
    types = yaml.safe_load(constants.read_text())["sequence_embedding_types"]
    return Base.metadata, types


def build(admin_url: str, name: str, legacy: bool, content, metadata, types, marker: str):
    import sqlalchemy as sa
    from pgvector.sqlalchemy import HALFVEC, VECTOR

    proteins, annotations, categories, names = content
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    building = f"{name}_building"
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)'))
        c.execute(sa.text(f'CREATE DATABASE "{building}"'))
    url = sa.engine.make_url(admin_url).set(database=building)
    engine = sa.create_engine(url)
    with engine.begin() as c:
        c.execute(sa.text("CREATE EXTENSION IF NOT EXISTS vector"))
    metadata.create_all(engine)
    t = metadata.tables
    emb = t["sequence_embeddings"]
    with engine.begin() as c:
        if legacy:
            c.execute(sa.text("ALTER TABLE sequence_embeddings DROP COLUMN layer_index"))
            c.execute(sa.text(
                "ALTER TABLE sequence_embeddings ALTER COLUMN embedding TYPE vector"))
        c.execute(t["sequence_embedding_type"].insert(),
                  [dict(id=i + 1, **ty) for i, ty in enumerate(types)])
        seq_ids = {}
        for p in proteins:
            if p["sequence"] not in seq_ids:
                seq_ids[p["sequence"]] = len(seq_ids) + 1
        c.execute(t["sequence"].insert(), [
            dict(id=i, sequence=s, sequence_hash=hashlib.md5(s.encode()).hexdigest())
            for s, i in seq_ids.items()])
        c.execute(t["protein"].insert(), [
            dict(id=p["id"], sequence_id=seq_ids[p["sequence"]], gene_name=p["gene_name"],
                 description=p["description"], organism=p["organism"],
                 taxonomy_id=p["taxonomy_id"], disappeared=False) for p in proteins])
        c.execute(t["accession"].insert(), [
            dict(code=p["accession"], primary=True, protein_id=p["id"]) for p in proteins])
        used = sorted({go for _, go, _ in annotations})
        c.execute(t["go_terms"].insert(), [
            dict(go_id=go, category=categories[go], description=names.get(go))
            for go in used])
        c.execute(t["protein_go_term_annotation"].insert(), [
            dict(protein_id=p, go_id=go, evidence_code=ev) for p, go, ev in annotations])
        first_human = min(p["id"] for p in proteins if p["taxonomy_id"] == "9606")
        skip = seq_ids[next(p["sequence"] for p in proteins if p["id"] == first_human)]
        for type_id, layer, dim, k, mult in STANDIN_TYPES:
            if legacy and layer != 0:
                continue
            rows = []
            for s, sid in seq_ids.items():
                if type_id == 1 and sid == skip:
                    continue
                v = standin(s, dim, k, mult)
                row = dict(sequence_id=sid, embedding_type_id=type_id,
                           embedding=v, shape=[dim])
                if not legacy:
                    row["layer_index"] = layer
                rows.append(row)
            if legacy:
                stmt = sa.insert(sa.table(
                    "sequence_embeddings", sa.column("sequence_id"),
                    sa.column("embedding_type_id"), sa.column("embedding", VECTOR(dim)),
                    sa.column("shape")))
            else:
                assert isinstance(emb.c.embedding.type, HALFVEC)
                stmt = emb.insert()
            c.execute(stmt, rows)
    engine.dispose()
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(sa.text(f'ALTER DATABASE "{building}" RENAME TO "{name}"'))
        c.execute(sa.text(f"COMMENT ON DATABASE \"{name}\" IS '{marker}'"))
    admin.dispose()
    return len(proteins), len(seq_ids), len(annotations)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", default="postgresql://postgres@127.0.0.1:"
                    + os.environ.get("HOMOLOG_PGVECTOR_PORT", "5434") + "/postgres",
                    help="a database on the server to connect to for creating the fixtures")
    ap.add_argument("--pis-models", default=os.environ.get(
        "HOMOLOG_PGVECTOR_PREFIX", "/opt/homolog-pgvector"),
        help="folder holding PIS 3.1.2's package (scripts/setup.d/57-pgvector.sh)")
    ap.add_argument("--data", help="the shared data folder (default $HOMOLOG_DATA)")
    ap.add_argument("--force", action="store_true", help="rebuild even when up to date")
    args = ap.parse_args()

    import sqlalchemy as sa

    data = data_dir(args.data)
    if not (data / "proteins/goa_human_2019-01-14.gaf.gz").is_file():
        print(f"pis/make_fixture: real data missing in {data} (set HOMOLOG_DATA); "
              "no fixture built", file=sys.stderr)
        return 0
    url = args.url.replace("postgres://", "postgresql://", 1)
    marker = fingerprint(data)
    admin = sa.create_engine(url)
    with admin.connect() as c:
        current = dict(c.execute(sa.text(
            "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database "
            "WHERE datname IN (:a, :b)"), dict(a=FIXTURE, b=LEGACY)).all())
    admin.dispose()
    if not args.force and current.get(FIXTURE) == marker and current.get(LEGACY) == marker:
        print(f"pis/make_fixture: {FIXTURE} and {LEGACY} are up to date")
        return 0
    metadata, types = pis_metadata(Path(args.pis_models))
    proteins, annotations, categories = collect(data)
    names = go_names(data / "go/go_2019-01-29.obo.gz")
    content = (proteins, annotations, categories, names)
    for name, legacy in ((FIXTURE, False), (LEGACY, True)):
        n = build(url, name, legacy, content, metadata, types, marker)
        print(f"pis/make_fixture: {name}: {n[0]} proteins, {n[1]} sequences, "
              f"{n[2]} annotations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
