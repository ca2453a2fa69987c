/// /work/shared/design/spec-example.yaml: the original notebook's choices as a spec.
let notebookExample = """
    # An example of what an experiment spec could look like (a sketch to start from, not a schema to obey).
    # Keys follow librosa's and fastai's vocabulary so researchers recognise them.
    name: ravdess-notebook
    description: The original notebook's choices, reproduced.
    seed: 42

    data:
      path: data/ravdess            # or: synthetic: {actors: 24, seed: 1}
      layout: ravdess               # ravdess | folders | csv
      labels: gender_emotion        # emotion | gender_emotion | intensity | gender
      # emotions: [neutral, happy, sad, angry]   # optional subset

    audio:
      sample_rate: 22050
      duration: 3.5                 # seconds; pad/crop
      trim_db: null                 # e.g. 40 to trim leading/trailing silence

    features:
      kind: log_mel
      n_fft: 1024
      hop_length: 100
      n_mels: 128
      fmin: 0
      fmax: null                    # sr/2
      db: {ref: max, top_db: 80}
      normalize: utterance

    model:
      arch: resnet
      depth: 34
      width: 64
      stem: imagenet                # imagenet | small

    lr_finder:
      start_lr: 1.0e-7
      end_lr: 10
      num_it: 100
      stop_div: true
      suggest: [minimum, steep]

    train:
      epochs: 20
      batch_size: 64
      schedule: fit                 # fit | one_cycle | flat_cos
      lr: steep                     # a number, or a finder suggestion
      optimizer: {name: adamw, wd: 0.01}
      label_smoothing: 0.0
      augment: {spec_augment: false}

    split:
      kind: random                  # random | speakers | kfold_speakers
      valid_pct: 0.2
      seed: 42

    # sweep:
    #   model.depth: [18, 34]
    #   features.n_mels: [64, 128]
    """
