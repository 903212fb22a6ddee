"""wzgeo tests; one folder per subpackage of wzgeo."""
