"""Word reports: ``build`` lays out the document, ``audience`` decides what each reader may see,
``chart`` draws the trend chart, ``export`` names and writes the files. python-docx and Pillow are
imported only here, so start-up never pays for them."""
