"""Documents: PDFs of invoices, credit notes, acts, contracts and statements; numbering, storage, exports."""
