// yaml, bundled at build time (see README.md here).
export { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, parseDocument, visit } from "yaml";
