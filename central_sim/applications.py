"""Applications (new card / replacement), class-I accounts, production results."""
