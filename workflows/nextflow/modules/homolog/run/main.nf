// homolog run as an nf-core-style module: annotate the proteins of one FASTA with the GO terms of
// their nearest neighbours in a reference folder built by `homolog initialize`.
//
// Container: there is no published image yet. Build one from the repository's Dockerfile
// (`docker build -t homolog:latest .`) or Apptainer recipe (`apptainer build homolog.sif homolog.def`)
// and point the module at it, e.g. in nextflow.config:
//     process { withName: 'HOMOLOG_RUN' { container = 'registry.example.org/homolog:0.1.0' } }
// The Docker image's ENTRYPOINT is `homolog`; run it with docker.runOptions = '--entrypoint ""'
// (see ../../../nextflow.config). No conda package exists, so there is no `conda` directive.
process HOMOLOG_RUN {
    tag "$meta.id"
    label 'process_medium'

    container 'homolog:latest'   // placeholder: the image built from the repository's Dockerfile

    input:
    tuple val(meta), path(fasta)
    path reference      // the reference folder written by `homolog initialize`
    path config         // optional homolog YAML configuration; pass [] for the built-in defaults

    output:
    tuple val(meta), path("*/summary.csv"), emit: summary
    tuple val(meta), path("*/topgo")      , emit: topgo
    tuple val(meta), path("${task.ext.prefix ?: meta.id}_*", type: 'dir'), emit: experiment
    path "versions.yml"                   , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args       = task.ext.args ?: ''
    def prefix     = task.ext.prefix ?: "${meta.id}"
    def config_arg = config ? "--config ${config}" : ''
    """
    homolog run \\
        ${config_arg} \\
        --input ${fasta} \\
        --threads ${task.cpus} \\
        --set reference.path=\$PWD/${reference} \\
        --set base_directory=\$PWD/homolog_runs \\
        --set prefix=${prefix} \\
        ${args}

    # <base_directory>/experiments/<prefix>_<timestamp>/ -> ./<prefix>_<timestamp>/
    mv homolog_runs/experiments/${prefix}_[0-9]* ./
    rm -rf homolog_runs

    cat <<-END_VERSIONS > versions.yml
    "${task.process}":
        homolog: \$(homolog --version 2>&1 | head -n 1 | sed 's/^homolog //; s/ .*\$//')
    END_VERSIONS
    """

    stub:
    def prefix = task.ext.prefix ?: "${meta.id}"
    """
    mkdir -p ${prefix}_19700101000000/topgo/ensemble
    touch ${prefix}_19700101000000/summary.csv

    cat <<-END_VERSIONS > versions.yml
    "${task.process}":
        homolog: \$(homolog --version 2>&1 | head -n 1 | sed 's/^homolog //; s/ .*\$//')
    END_VERSIONS
    """
}
