rule evaluate:
    input:
        traits="results/leaves/{model}/test/traits.csv",
        predicted=get_leaf_files("labels", "png", split="test"),
        truth_labels=get_split_files("labels", "png", split="test"),
        truth="results/data/test/leaves.csv",
        scales=get_scale_files("test"),
    output:
        sheets="results/metrics/{model}/sheets.csv",
        pairs="results/metrics/{model}/intact_pairs.csv",
        summary="results/metrics/{model}/summary.json",
    log:
        "results/logs/evaluate/{model}.log",
    benchmark:
        "results/benchmarks/evaluate/{model}.tsv"
    conda:
        "../envs/pipeline.yaml"
    threads: 1
    params:
        iou_threshold=config["evaluate"]["iou_threshold"],
        bootstrap=config["evaluate"]["bootstrap"],
    script:
        "../scripts/evaluate.py"


rule summarize:
    input:
        summaries=expand("results/metrics/{model}/summary.json", model=get_models()),
    output:
        table=report(
            "results/metrics/summary.csv",
            caption="../report/summary.rst",
            category="Metrics",
        ),
    log:
        "results/logs/summarize/summarize.log",
    conda:
        "../envs/pipeline.yaml"
    threads: 1
    script:
        "../scripts/summarize.py"


rule darwin_core:
    input:
        traits=["results/leaves/ensemble/test/traits.csv"],
        svm="results/svm/model.joblib",
        provenance=expand(
            "results/models/seed{seed}/provenance.json", seed=config["seeds"]
        ),
        occurrence_ids=get_occurrence_ids_input,
    output:
        table="results/dwc/test/measurementorfact.csv",
    log:
        "results/logs/darwin_core/test.log",
    conda:
        "../envs/pipeline.yaml"
    threads: 1
    params:
        dwc=config["dwc"],
        samples=get_samples("test"),
        segmentation=get_segmentation_method(),
    script:
        "../scripts/darwin_core.py"


rule report:
    input:
        summary="results/metrics/summary.csv",
        sheets=expand("results/metrics/{model}/sheets.csv", model=get_models()),
        ensemble_pairs="results/metrics/ensemble/intact_pairs.csv",
        ensemble_traits="results/leaves/ensemble/test/traits.csv",
        histories=expand("results/models/seed{seed}/history.csv", seed=config["seeds"]),
        provenance=expand(
            "results/models/seed{seed}/provenance.json", seed=config["seeds"]
        ),
        svm="results/svm/model.joblib",
        svm_scores="results/svm/cv_scores.csv",
        svm_training="results/svm/training_leaves.csv",
        images=get_split_files("images", "png", split="test"),
        truth_labels=get_split_files("labels", "png", split="test"),
        predicted_labels=get_leaf_files("labels", "png", split="test", model="ensemble"),
        ensemble_masks=get_prediction_files(["ensemble"], ("masks/",)),
        seed_probabilities=get_prediction_files(
            expand("seed{seed}", seed=config["seeds"])
        ),
        scales=get_scale_files("test"),
    output:
        html=report(
            "results/report/report.html",
            caption="../report/report.rst",
            category="Report",
        ),
    log:
        "results/logs/report/report.log",
    conda:
        "../envs/pipeline.yaml"
    threads: 1
    params:
        iou_threshold=config["evaluate"]["iou_threshold"],
        bootstrap_level=config["evaluate"]["bootstrap"]["level"],
        seeds=config["seeds"],
        instances=get_instances(),
        measure=config["measure"],
        resize=config["resize"],
        config=config,
    script:
        "../scripts/report.py"
