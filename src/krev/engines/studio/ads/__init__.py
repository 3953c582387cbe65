"""Ad creative: the style catalog, the copy each ad carries, and the layout that puts a product
scene, its copy and a call-to-action button on one image."""
