"""The citizen screens' design system: tokens (colour, type, spacing, radius), the icon helper,
and the components every screen is assembled from (frame, stepper, action card, illustration,
form field, summary list, result panel, countdown, modal). docs/screens/gallery.png shows them."""
