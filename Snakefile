from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/scale.smk"
include: "rules/resize.smk"
include: "rules/augment.smk"
include: "rules/pretrain.smk"
include: "rules/train.smk"
include: "rules/predict.smk"
include: "rules/leaves.smk"
include: "rules/evaluate.smk"


rule all:
    default_target: True
    input:
        get_final_output(),
