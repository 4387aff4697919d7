#!/usr/bin/env nextflow
// Minimal example: annotate every FASTA matching --fasta with HOMOLOG_RUN against one reference.
//
//   nextflow run workflows/nextflow/main.nf \
//       --fasta 'queries/*.fasta.gz' --reference /path/to/reference --config homolog.yaml
//
// The reference folder is built beforehand with `homolog initialize --config homolog.yaml`.
// Results: <outdir>/<sample>/<sample>_<timestamp>/{summary.csv,topgo/,...} and <outdir>/versions.yml.

include { HOMOLOG_RUN } from './modules/homolog/run/main'

workflow {
    if (!params.fasta)     { error "--fasta is required (a FASTA file or glob)" }
    if (!params.reference) { error "--reference is required (a folder built by `homolog initialize`)" }

    ch_fasta = Channel
        .fromPath(params.fasta, checkIfExists: true)
        .map { f -> [ [ id: f.name.replaceAll(/\.(fa|fasta|faa)(\.gz)?$/, '') ], f ] }
    reference = file(params.reference, checkIfExists: true)
    config    = params.config ? file(params.config, checkIfExists: true) : []

    HOMOLOG_RUN(ch_fasta, reference, config)

    HOMOLOG_RUN.out.versions
        .unique()
        .collectFile(name: 'versions.yml', storeDir: params.outdir)
}
