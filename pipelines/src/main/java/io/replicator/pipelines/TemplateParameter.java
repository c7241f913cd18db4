package io.replicator.pipelines;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * How an option appears as a Flex Template parameter, beside what Beam knows of it (its help text
 * is the option's {@code @Description}, its optionality the absence of {@code @Validation.Required}):
 * the label a console shows, the regexes a value must match, the parameter's type.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface TemplateParameter {
  String label();

  /** Patterns a value must match (the console checks them before launching). */
  String[] regexes() default {};

  /** The Flex Template parameter type: TEXT, GCS_READ_FILE, GCS_WRITE_FOLDER, ... */
  String type() default "TEXT";
}
