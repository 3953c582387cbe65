"""The product catalog: uploads, their analysis job, listing and deletion (``/api/v1/products``)."""
