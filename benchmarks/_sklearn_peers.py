"""scikit-learn peers of the accuracy benchmark: TF-IDF + logistic regression, gradient
boosting on the table, and their early (one model on both) and late (mean of scores) fusions.

Every peer fits on the train split, is scored on test, and never sees val
(the toolkit uses val only for early stopping and its threshold).
"""

import time

import numpy as np


def _tabular_matrix(bench, train, rows):
    """Numeric columns (NaN kept) + one-hot categories fitted on train, for gradient boosting."""
    frame = bench.frame
    parts = [frame.loc[rows, bench.numeric].to_numpy(dtype="float64")] if bench.numeric else []
    for column in bench.categorical:
        categories = sorted(set(frame.loc[train, column]) - {""})
        values = frame.loc[rows, column].to_numpy()
        parts.append(np.stack([values == c for c in categories], axis=1).astype("float64") if categories else np.zeros((len(values), 0)))
    return np.concatenate(parts, axis=1) if parts else np.zeros((int(np.sum(rows)), 0))


def _scaled_tabular(bench, train, rows):
    """For linear models: standardised numerics with mean imputation and missing flags, plus one-hots."""
    x = _tabular_matrix(bench, train, rows)
    ref = _tabular_matrix(bench, train, train)
    n = len(bench.numeric)
    mean = np.nanmean(ref[:, :n], axis=0) if n else np.zeros(0)
    std = np.nanstd(ref[:, :n], axis=0) if n else np.zeros(0)
    std[~(std > 1e-12)] = 1.0
    numeric = x[:, :n]
    missing = np.isnan(numeric)
    numeric = np.where(missing, 0.0, (numeric - np.nan_to_num(mean)) / std)
    return np.concatenate([numeric, missing.astype("float64"), x[:, n:]], axis=1)


def _tfidf(bench, train):
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=50_000, sublinear_tf=True)
    vectorizer.fit(bench.frame.loc[train, bench.text])
    return vectorizer


def _logistic(c=1.0):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=2000)


def run_sklearn_peers(bench, seed=0):
    """{peer name: (test scores, seconds)} for the peers the task's modalities allow."""
    from scipy import sparse
    from sklearn.ensemble import HistGradientBoostingClassifier

    split = bench.frame["split"].to_numpy()
    train, test = split == "train", split == "test"
    y = bench.labels
    out = {}
    if bench.numeric or bench.categorical:
        start = time.perf_counter()
        model = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, random_state=seed)
        model.fit(_tabular_matrix(bench, train, train), y[train])
        out["gradient boosting (tabular)"] = (model.predict_proba(_tabular_matrix(bench, train, test))[:, 1], time.perf_counter() - start)
    if bench.text:
        start = time.perf_counter()
        vectorizer = _tfidf(bench, train)
        text_train = vectorizer.transform(bench.frame.loc[train, bench.text])
        text_test = vectorizer.transform(bench.frame.loc[test, bench.text])
        model = _logistic().fit(text_train, y[train])
        out["TF-IDF + logistic regression (text)"] = (model.predict_proba(text_test)[:, 1], time.perf_counter() - start)
        text_seconds = out["TF-IDF + logistic regression (text)"][1]
    if bench.text and (bench.numeric or bench.categorical):
        start = time.perf_counter()
        x_train = sparse.hstack([text_train, sparse.csr_matrix(_scaled_tabular(bench, train, train))]).tocsr()
        x_test = sparse.hstack([text_test, sparse.csr_matrix(_scaled_tabular(bench, train, test))]).tocsr()
        model = _logistic().fit(x_train, y[train])
        out["early fusion: logistic regression (TF-IDF + tabular)"] = (model.predict_proba(x_test)[:, 1], time.perf_counter() - start + text_seconds)
        gb, lr = out["gradient boosting (tabular)"], out["TF-IDF + logistic regression (text)"]
        out["late fusion: mean of gradient boosting and TF-IDF LR"] = ((gb[0] + lr[0]) / 2, gb[1] + lr[1])
    return out
