"""Tests of the search_index package against real Whoosh indexes."""
