"""Triage: what a message is about, which queue it belongs to, and how sure we are.

Text cleaning and features, the classifier and its on-disk store, the corrections memory, the engine that
combines them with the catalogue, labelled data and evaluation, and the learning loop that retrains from
what the desk teaches without a restart.
"""
