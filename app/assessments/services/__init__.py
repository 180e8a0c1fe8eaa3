"""Rules of the assessments module, one submodule per subject: access, banks, quizzes, attempts,
review, assignments, gradebook, completion, certificates. Other modules call these, never the models."""
