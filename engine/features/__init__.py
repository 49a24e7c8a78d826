"""Customer features: the catalogue, aggregating transactions to customers, RFM scores, scaling."""
