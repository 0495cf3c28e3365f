for split in SPLITS:
    for batch, samples in get_batches(split, "data").items():

        rule:
            name:
                f"scale_{split}_{batch}"
            input:
                images=get_batch_files(
                    "results/data/{split}/images/{sample}.png", split, samples
                ),
                sheet_leaves=get_batch_files(
                    "results/data/{split}/leaves/{sample}.csv", split, samples
                ),
            output:
                scales=get_batch_files(
                    "results/scale/{split}/{sample}.json", split, samples
                ),
            log:
                f"results/logs/scale/{split}/{batch}.log",
            benchmark:
                f"results/benchmarks/scale/{split}/{batch}.tsv"
            conda:
                "../envs/pipeline.yaml"
            threads: 1
            params:
                split=split,
                batch=batch,
                samples=samples,
                scale=config["scale"],
            script:
                "../scripts/scale.py"
