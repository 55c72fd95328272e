"""One module per repository; every dialect shares them."""
