for split in SPLITS:
    for batch, samples in get_batches(split, "resize").items():

        rule:
            name:
                f"resize_{split}_{batch}"
            input:
                images=get_batch_files(
                    "results/data/{split}/images/{sample}.png", split, samples
                ),
                labels=get_batch_files(
                    "results/data/{split}/labels/{sample}.png", split, samples
                ),
            output:
                images=get_batch_files(
                    "results/resized/{split}/images/{sample}.png", split, samples
                ),
                labels=get_batch_files(
                    "results/resized/{split}/labels/{sample}.png", split, samples
                ),
                sizes=get_batch_files(
                    "results/resized/{split}/sizes/{sample}.json", split, samples
                ),
            log:
                f"results/logs/resize/{split}/{batch}.log",
            benchmark:
                f"results/benchmarks/resize/{split}/{batch}.tsv"
            conda:
                "../envs/pipeline.yaml"
            threads: 1
            params:
                split=split,
                batch=batch,
                samples=samples,
                resize=config["resize"],
            script:
                "../scripts/resize.py"
