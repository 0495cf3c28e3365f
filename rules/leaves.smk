for batch, samples in get_batches("test", "measure").items():

    rule:
        name:
            f"measure_test_{batch}"
        input:
            **get_instance_maps("{model}", samples),
            masks=get_batch_files(
                "results/predictions/{model}/{split}/masks/{sample}.png",
                "test",
                samples,
            ),
            images=get_batch_files(
                "results/data/{split}/images/{sample}.png", "test", samples
            ),
            sheet_leaves=get_batch_files(
                "results/data/{split}/leaves/{sample}.csv", "test", samples
            ),
            scales=get_batch_files(
                "results/scale/{split}/{sample}.json", "test", samples
            ),
        output:
            labels=get_batch_files(
                "results/leaves/{model}/{split}/labels/{sample}.png", "test", samples
            ),
            traits=get_batch_files(
                "results/leaves/{model}/{split}/measured/{sample}.csv", "test", samples
            ),
        log:
            f"results/logs/measure/{{model}}/test/{batch}.log",
        benchmark:
            f"results/benchmarks/measure/{{model}}/test/{batch}.tsv"
        conda:
            "../envs/pipeline.yaml"
        threads: 1
        params:
            split="test",
            batch=batch,
            samples=samples,
            measure=config["measure"],
            resize=config["resize"],
            instances=get_instances(),
            truth=False,
        script:
            "../scripts/measure.py"


for split in SPLITS:
    for batch, samples in get_batches(split, "measure").items():

        rule:
            name:
                f"measure_truth_{split}_{batch}"
            input:
                masks=get_batch_files(
                    "results/data/{split}/labels/{sample}.png", split, samples
                ),
                images=get_batch_files(
                    "results/data/{split}/images/{sample}.png", split, samples
                ),
                sheet_leaves=get_batch_files(
                    "results/data/{split}/leaves/{sample}.csv", split, samples
                ),
                scales=get_batch_files(
                    "results/scale/{split}/{sample}.json", split, samples
                ),
            output:
                labels=get_batch_files(
                    "results/leaves/truth/{split}/labels/{sample}.png", split, samples
                ),
                traits=get_batch_files(
                    "results/leaves/truth/{split}/measured/{sample}.csv",
                    split,
                    samples,
                ),
            log:
                f"results/logs/measure_truth/{split}/{batch}.log",
            benchmark:
                f"results/benchmarks/measure_truth/{split}/{batch}.tsv"
            conda:
                "../envs/pipeline.yaml"
            threads: 1
            params:
                split=split,
                batch=batch,
                samples=samples,
                measure=get_truth_measure_spec(),
                instances=get_training_target(),
                truth=True,
                iou_threshold=config["evaluate"]["iou_threshold"],
            script:
                "../scripts/measure.py"


# The generated sheets the SVM learns from (svm.learn_from): nothing here reads the user's data.
for batch, samples in get_svm_generated_batches().items():

    rule:
        name:
            f"synthesize_svm_{batch}"
        output:
            traits=get_svm_generated_files(samples),
        log:
            f"results/logs/synthesize_svm/{batch}.log",
        benchmark:
            f"results/benchmarks/synthesize_svm/{batch}.tsv"
        conda:
            "../envs/pipeline.yaml"
        threads: 1
        params:
            split="svm",
            batch=batch,
            samples=samples,
            indices=get_svm_generated_indices(samples),
            generator=get_svm_generator(),
            measure=get_truth_measure_spec(),
            instances=get_training_target(),
            iou_threshold=config["evaluate"]["iou_threshold"],
        script:
            "../scripts/synthesize_svm.py"


rule train_svm:
    input:
        **get_svm_training_input(),
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
        learn_from=get_svm_learn_from(),
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
