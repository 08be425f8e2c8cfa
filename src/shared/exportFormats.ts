// The export formats of a curated alignment (engine/curation/export.ts writes them), named here so
// the contract and the renderer can offer them without importing engine code.
export const EXPORT_FORMATS = ['tsv', 'csv', 'json', 'nt', 'rdf', 'sssom', 'seeds'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
