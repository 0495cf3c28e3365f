rule measure:
    input:
        mask="results/predictions/{model}/{split}/masks/{sample}.png",
        sheet_leaves="results/data/{split}/leaves/{sample}.csv",
    output:
        labels="results/leaves/{model}/{split}/labels/{sample}.png",
        traits="results/leaves/{model}/{split}/measured/{sample}.csv",
    log:
        "results/logs/measure/{model}/{split}/{sample}.log",
    benchmark:
        "results/benchmarks/measure/{model}/{split}/{sample}.tsv"
    conda:
        "../envs/pipeline.yaml"
    threads: 1
    params:
        measure=config["measure"],
        truth=False,
    script:
        "../scripts/measure.py"


rule measure_truth:
    input:
        mask="results/data/{split}/labels/{sample}.png",
        sheet_leaves="results/data/{split}/leaves/{sample}.csv",
    output:
        labels="results/leaves/truth/{split}/labels/{sample}.png",
        traits="results/leaves/truth/{split}/measured/{sample}.csv",
    log:
        "results/logs/measure_truth/{split}/{sample}.log",
    benchmark:
        "results/benchmarks/measure_truth/{split}/{sample}.tsv"
    conda:
        "../envs/pipeline.yaml"
    threads: 1
    params:
        measure=config["measure"],
        truth=True,
        iou_threshold=config["evaluate"]["iou_threshold"],
    script:
        "../scripts/measure.py"


rule train_svm:
    input:
        traits=get_truth_traits("train"),
    output:
        model="results/svm/model.joblib",
        scores="results/svm/cv_scores.csv",
        training="results/svm/training_leaves.csv",
    log:
        "results/logs/train_svm/train_svm.log",
    benchmark:
        "results/benchmarks/train_svm/train_svm.tsv"
    conda:
        "../envs/pipeline.yaml"
    threads: 1
    params:
        svm=config["svm"],
    script:
        "../scripts/train_svm.py"


rule classify:
    input:
        svm="results/svm/model.joblib",
        traits=get_leaf_files("measured", "csv"),
        labels=get_leaf_files("labels", "png"),
    output:
        traits="results/leaves/{model}/{split}/traits.csv",
        intact="results/leaves/{model}/{split}/intact_leaves.csv",
        coco="results/leaves/{model}/{split}/predicted_leaves.coco.json",
        sheets=directory("results/leaves/{model}/{split}/traits"),
    log:
        "results/logs/classify/{model}/{split}.log",
    benchmark:
        "results/benchmarks/classify/{model}/{split}.tsv"
    conda:
        "../envs/pipeline.yaml"
    threads: 1
    script:
        "../scripts/classify.py"
