package org.maskkv;

/** maskkv_model_info: the model's dimensions and special ids. */
public record ModelInfo(
    Family family,
    int nLayers,
    int dModel,
    int nHeads,
    int nKvHeads,
    int headDim,
    int mlpHidden,
    int vocabSize,
    int maxSeqLen,
    int maskId,
    int bosId,
    int eosId,
    int eotId,
    float ropeTheta,
    float rmsNormEps,
    DType weightDtype,
    Backend backend,
    long nParams,
    long weightBytes) {}
