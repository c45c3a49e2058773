export { type ActivationOptions, readActivations } from './activations.js';
export { type ClassifierInfo, loadOnnxClassifier, type OnnxClassifier, type OnnxClassifierOptions, type TensorDescription } from './classifier.js';
export { argmax, looksLikeProbabilities, softmaxRow } from './scores.js';
export { toFloat32Rows } from './tensor-input.js';
export { canaryLoad, type VerifiedModel, type VerifyOptions, verifyModelSource } from './verified-load.js';
