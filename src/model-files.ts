/**
 * Which files are models the analyzers read, by extension: the one list the CLI, the analyzers and the VS Code
 * host (Explorer menu, model search, messages) use. Pure data with no imports, so the host reads it without
 * loading an analyzer.
 */

/** Model file extensions. */
export const MODEL_EXTENSIONS = ['.onnx', '.tflite', '.safetensors', '.gguf', '.pt', '.pth', '.keras', '.h5', '.mlmodel'];
/** Model folders: Core ML packages. */
export const MODEL_FOLDER_EXTENSIONS = ['.mlpackage'];
/** How the user is told which models there can be. */
export const MODEL_KINDS = `${MODEL_EXTENSIONS.join(', ')} files or ${MODEL_FOLDER_EXTENSIONS.join(', ')} folders`;
