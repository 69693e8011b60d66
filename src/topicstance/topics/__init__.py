"""Topics: UMAP + HDBSCAN topic model over precomputed chunk embeddings.

Small single-purpose modules, each documented in its own docstring:

* ``model``       -- :class:`TopicModel`, the scikit-learn style estimator
* ``components``  -- default reducer (UMAP on an exact cosine kNN graph) and clusterer (HDBSCAN)
* ``selection``   -- ``min_cluster_size: auto`` (article-level silhouette by default; stability options)
* ``groups``      -- chunks grouped by article: article vectors, dominant topics, article subsamples
* ``outliers``    -- centroids and outlier reassignment
* ``ctfidf``      -- c-TF-IDF keywords, labels, representative chunks
* ``hierarchy``   -- Ward merge tree over topics and ``cut(K)``
* ``stable_ids``  -- Hungarian matching of new topics to a previous model's ids
* ``overrides``   -- ``topic_overrides.yaml`` (merge and rename)
* ``metrics``     -- NPMI coherence, diversity, stability ARI
* ``articles``    -- article topic mix, dominant topic, shares over time and per source
* ``predictor``   -- kNN prediction for new chunks (imports neither umap nor hdbscan)
* ``persistence`` -- save/load a model directory (JSON + .npy + Parquet, no pickle)
* ``stage``       -- :func:`fit_topics`, called by the DVC stage and ``topicstance run``
* ``scale``       -- :func:`fit_sample_assign`: fit on a sample, assign the rest in batches (large corpora)
* ``knn``         -- exact cosine kNN by blocked matrix products
* ``cut``, ``cli`` -- ``topicstance topics cut`` and the ``topics`` subcommands

This package ``__init__`` imports nothing heavy, so that ``predictor`` and
``persistence`` can be imported without UMAP, HDBSCAN or numba.
"""
